"""Plan simulator: many nights of demand under several plans, with the real engine."""
