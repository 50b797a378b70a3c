"""Progress of an epoch while it runs: log lines and an optional tqdm bar."""
import logging

logger = logging.getLogger("cw2v.train")


def progress_bar(enabled, epoch, per_epoch, unit):
    """A tqdm bar over `per_epoch` units, or None when not enabled."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm: pip install tqdm") from None
    return tqdm(total=per_epoch, desc=f"epoch {epoch + 1}", unit=unit, unit_scale=True)


class EpochProgress:
    """Logs (and draws) an epoch's progress from the running totals.

    units(tally) is the work done in the schedule's unit (raw words or
    sentences) and alpha(units) the learning rate there.
    """

    def __init__(self, *, epoch, epochs, per_epoch, units, alpha, compute_loss, bar):
        self.epoch, self.epochs, self.per_epoch = epoch, epochs, per_epoch
        self.units, self.alpha = units, alpha
        self.compute_loss, self.bar = compute_loss, bar
        self.shown = 0

    def __call__(self, report):
        tally = report.tally
        done = self.units(tally)
        loss = (f", loss {tally.loss / tally.predictions:.4f}/prediction"
                if self.compute_loss and tally.predictions else "")
        logger.info("epoch %i/%i: %.1f%% done, %.0f words/s, alpha %.6f%s",
                    self.epoch + 1, self.epochs, 100.0 * done / self.per_epoch,
                    tally.raw_words / max(report.seconds, 1e-9), self.alpha(done), loss)
        self._advance(done)

    def _advance(self, done):
        if self.bar is not None:
            self.bar.update(max(done - self.shown, 0))
            self.shown = done

    def close(self, report):
        tally = report.tally
        self._advance(self.units(tally))
        if self.bar is not None:
            self.bar.close()
        loss = f", loss {tally.loss:.6g} ({tally.loss / max(tally.predictions, 1):.4f}/prediction)" \
            if self.compute_loss else ""
        logger.info("epoch %i/%i: %i raw words (%i effective) in %.1fs, %.0f raw words/s%s",
                    self.epoch + 1, self.epochs, tally.raw_words, tally.words_trained,
                    report.seconds, tally.raw_words / max(report.seconds, 1e-9), loss)
