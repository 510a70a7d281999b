"""Analysis: what the figures and the findings compute inside the networks (feature maps,
attributions, embeddings, robustness)."""
