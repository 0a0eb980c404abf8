"""calfraise host tools: simulate, analyze and (later) sync sessions from the shoe clip."""
