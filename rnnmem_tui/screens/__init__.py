"""The app's screens: the explorer, its help, training, and two networks side by side."""
