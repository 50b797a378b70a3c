"""What every model family's training shares: the job runner (worker threads
over iterable batches or file byte ranges) and the model base."""
