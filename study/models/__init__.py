"""Models: the architectures' registry and the checkpoints that rebuild them."""
