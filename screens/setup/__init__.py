"""The setup wizard: a resumable path from a fresh security server to an active certificate."""
