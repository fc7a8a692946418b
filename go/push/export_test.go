package push

import (
	"testing"
	"time"
)

// SetProgressClock makes the progress line tick when the test sends on tick
// and read the time from now, until the test ends.
func SetProgressClock(t testing.TB, tick <-chan time.Time, now func() time.Time) {
	oldTicker, oldNow := progressTicker, progressNow
	progressTicker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
	progressNow = now
	t.Cleanup(func() { progressTicker, progressNow = oldTicker, oldNow })
}
