// Server-Sent Events over fetch(), for the map page when it must send an Authorization header (an
// EventSource cannot). `fetchStream(url, headers, on)` reads the stream and reconnects after the
// server's `retry` when the connection drops, sending the last id as Last-Event-ID, as an
// EventSource would; `headers()` gives the request's headers (the key) at each (re)connection, and
// `on` gets open(), trouble(gaveUp), events(msg), incident(msg), reset() and unauthorized(status).
"use strict";

(function () {
  function fetchStream(url, headers, on) {
    const controller = new AbortController();
    let stopped = false;
    let lastId = null;
    let retryMs = 2000;
    (async () => {
      while (!stopped) {
        let resp = null;
        try {
          const sent = { ...headers(), Accept: "text/event-stream" };
          if (lastId !== null) sent["Last-Event-ID"] = lastId;
          resp = await fetch(url, { headers: sent, cache: "no-store", signal: controller.signal });
        } catch (err) { /* unreachable: retry below */ }
        if (stopped) return;
        if (resp && (resp.status === 401 || resp.status === 403)) { on.unauthorized(resp.status); return; }
        if (resp && !resp.ok) { on.trouble(true); return; }  // refused, as an EventSource would give up
        if (resp) {
          on.open();
          try {
            await readEvents(resp.body, (msg) => {
              if (msg.retry !== null) retryMs = msg.retry;
              if (msg.lastId !== null) lastId = msg.lastId;
              if (msg.data === null) return;
              if (msg.event === "events") on.events(JSON.parse(msg.data));
              else if (msg.event === "incident") on.incident(JSON.parse(msg.data));
              else if (msg.event === "reset") on.reset();
            });
          } catch (err) { /* the connection broke: reconnect below */ }
          if (stopped) return;
        }
        on.trouble(false);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    })();
    return { close: () => { stopped = true; controller.abort(); } };
  }

  // Server-Sent Events from a response body, as the HTML standard parses them: lines end in CR, LF
  // or CRLF, a blank line ends a message, `:` starts a comment, and the last id seen is kept (a
  // block with only comments and an id moves it too). `dispatch` gets every block.
  async function readEvents(body, dispatch) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let data = [];
    let event = "";
    let lastId = null;
    let retry = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = /\r\n|\r(?!$)|\n/.exec(buffer)) !== null) {  // a CR at the very end may precede an LF
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        if (line === "") {
          dispatch({ event: event || "message", data: data.length ? data.join("\n") : null, lastId, retry });
          data = [];
          event = "";
          retry = null;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "data") data.push(text);
        else if (field === "event") event = text;
        else if (field === "id" && !text.includes("\0")) lastId = text;
        else if (field === "retry" && /^\d+$/.test(text)) retry = Number(text);
      }
    }
  }

  window.dronewatchSSE = { fetchStream, readEvents };
})();
