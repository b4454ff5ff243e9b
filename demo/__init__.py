"""The demo: the catalogue, organisations, people, requests and articles that `make run` loads.

It sits above the apps it fills (tickets, kb, accounts), so none of them imports it."""
