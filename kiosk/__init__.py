"""The simsa kiosk: Kivy screens over a pure session, scanner, durable store and sync worker."""
