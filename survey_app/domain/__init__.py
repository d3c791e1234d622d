"""Domain logic as plain functions shared by the web views and the CLI."""
