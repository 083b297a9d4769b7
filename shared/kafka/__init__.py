"""The only package that imports aiokafka: clients, serde, the runner every worker uses, and the
local Tansu broker for development and tests."""
