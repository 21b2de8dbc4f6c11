"""One module per transfer: fetch -> map -> validate -> send -> record, run by the engine."""
