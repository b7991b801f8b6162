"""The opt-in judge tier: a model the user configures looks again at what the offline tier is unsure of.

Nothing here runs, and nothing leaves the machine, unless `judge.base_url` and `judge.model` are set
(an OpenAI-compatible endpoint: a local Ollama or vLLM, or a provider the user chose). `config` reads
the settings, `prompts` holds the versioned prompts and validates the structured verdicts, `client`
makes one HTTP call, `run` picks the sessions, caches verdicts by content hash, keeps to the concurrency
limit and the daily spend cap, and stores the judge's findings (detector `<family>.judge`) beside the
offline ones; failures leave the offline verdict in place with a note.
"""
