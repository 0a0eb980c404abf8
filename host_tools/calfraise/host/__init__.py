"""The host's offline half: the session database and what is read from it (sessions, show,
export, plot). Sessions get in through calfraise.host.importer.import_session; docs/host.md."""
