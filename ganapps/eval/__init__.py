"""Quality measurement: feature-space distances, classifiers, task-specific metrics."""
