"""Queue tickets, the waiting-room display and appointments at one-stop centers (docs/counters.md)."""
