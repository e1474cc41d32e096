"""Pure signal math: PPG chunks -> beats -> intervals -> HR, HRV, coherence, breathing rate.

No I/O and no clock reads; everything here is a function (or a streaming object) of arrays and sample
indices, tested on arrays. Depends on nothing of ours but `device.errors`.
"""

from device.signal.hrv import hrv_metrics
from device.signal.pulse import detect_beats

__all__ = ["detect_beats", "hrv_metrics"]
