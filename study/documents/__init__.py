"""Documents: rendering the report and the deck, the deck's layout check, the live demo."""
