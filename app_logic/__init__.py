"""The app's logic (settings, runs, summaries, charts), kept apart from the Solara page in ``app.py`` so it can be tested without a browser."""
