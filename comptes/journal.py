"""The login journal: logins, failures, lockouts — placeholder, being written."""
