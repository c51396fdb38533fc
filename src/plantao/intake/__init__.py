"""The edge: source parsers, body limits, the inbox (writer, group commit) and applying it."""
