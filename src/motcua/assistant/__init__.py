"""The virtual assistant: questions in everyday Vietnamese answered from the catalogue (docs/assistant.md)."""
