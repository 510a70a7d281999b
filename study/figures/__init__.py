"""Figures: the data exploration, the results and what the best network learned."""
