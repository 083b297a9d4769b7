"""Where reports come from besides a hand-made POST: RSS/Atom feeds, web pages, Telegram
exports and posts, JSONL/CSV files. Each source turns what it reads into `ArticleIn` bodies that
go through the same intake as HTTP posts (`services.ingestion.intake`)."""
