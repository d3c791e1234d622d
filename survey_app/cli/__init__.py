"""`flask` commands, one module per command group, registered here. Each command parses its
options, calls the same domain functions as the web views, and prints."""
