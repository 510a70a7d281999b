"""Data: the MNIST sources and their hashes, the stratified split, augmentation."""
