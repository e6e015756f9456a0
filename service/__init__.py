"""The web service: compounds, households, cars, releases and requests in a database; the nightly
allocation run, reviewed and published by staff; residents' own view. FastAPI over SQLAlchemy."""
