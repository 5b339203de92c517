"""HTTP routers: the public audit API, submissions and kiosks, and the staff API."""
