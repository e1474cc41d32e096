"""The MAX30102 register map as data (also MAX30101/MAX30105: same map, same part ID).

Addresses, power-on values, writable bits and bit fields come from the Maxim MAX30102 datasheet
(register map table and the register descriptions). The driver (drivers/max30102.py) and the
virtual chip (sim/max30102.py) both read this table, so a field is named once; the virtual chip's
tests pin the datasheet numbers as literals so a slip here would not go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Register:
    """One 8-bit register: address, power-on value and which bits a write can change."""

    name: str
    address: int
    por_value: int
    writable_mask: int  # 0 = read-only; bits outside the mask are reserved and read back as 0


@dataclass(frozen=True)
class Field:
    """A bit field inside a register (`width` bits starting at bit `shift`)."""

    register: Register
    shift: int
    width: int

    @property
    def mask(self) -> int:
        """The field's bits in place."""
        return ((1 << self.width) - 1) << self.shift

    def get(self, register_value: int) -> int:
        """The field's value from a whole register byte."""
        return (register_value & self.mask) >> self.shift

    def put(self, register_value: int, field_value: int) -> int:
        """A register byte with this field replaced by `field_value` (which must fit)."""
        if not 0 <= field_value < (1 << self.width):
            raise ValueError(f"{field_value} does not fit a {self.width}-bit field of {self.register.name}")
        return (register_value & ~self.mask & 0xFF) | (field_value << self.shift)


# --- registers -------------------------------------------------------------------------------
INTR_STATUS_1 = Register("INTR_STATUS_1", 0x00, 0x00, 0x00)  # PWR_RDY is set by the power-on event
INTR_STATUS_2 = Register("INTR_STATUS_2", 0x01, 0x00, 0x00)
INTR_ENABLE_1 = Register("INTR_ENABLE_1", 0x02, 0x00, 0xE0)
INTR_ENABLE_2 = Register("INTR_ENABLE_2", 0x03, 0x00, 0x02)
FIFO_WR_PTR = Register("FIFO_WR_PTR", 0x04, 0x00, 0x1F)
OVF_COUNTER = Register("OVF_COUNTER", 0x05, 0x00, 0x1F)
FIFO_RD_PTR = Register("FIFO_RD_PTR", 0x06, 0x00, 0x1F)
FIFO_DATA = Register("FIFO_DATA", 0x07, 0x00, 0x00)  # reads pop the FIFO; the pointer stays on 0x07
FIFO_CONFIG = Register("FIFO_CONFIG", 0x08, 0x00, 0xFF)
MODE_CONFIG = Register("MODE_CONFIG", 0x09, 0x00, 0xC7)
SPO2_CONFIG = Register("SPO2_CONFIG", 0x0A, 0x00, 0x7F)
LED1_PA = Register("LED1_PA", 0x0C, 0x00, 0xFF)  # red
LED2_PA = Register("LED2_PA", 0x0D, 0x00, 0xFF)  # infrared
MULTI_LED_CTRL_1 = Register("MULTI_LED_CTRL_1", 0x11, 0x00, 0x77)
MULTI_LED_CTRL_2 = Register("MULTI_LED_CTRL_2", 0x12, 0x00, 0x77)
TEMP_INT = Register("TEMP_INT", 0x1F, 0x00, 0x00)
TEMP_FRAC = Register("TEMP_FRAC", 0x20, 0x00, 0x00)
TEMP_CONFIG = Register("TEMP_CONFIG", 0x21, 0x00, 0x01)
REV_ID = Register("REV_ID", 0xFE, 0x03, 0x00)
PART_ID = Register("PART_ID", 0xFF, 0x15, 0x00)

REGISTERS: Final[tuple[Register, ...]] = (
    INTR_STATUS_1, INTR_STATUS_2, INTR_ENABLE_1, INTR_ENABLE_2, FIFO_WR_PTR, OVF_COUNTER,
    FIFO_RD_PTR, FIFO_DATA, FIFO_CONFIG, MODE_CONFIG, SPO2_CONFIG, LED1_PA, LED2_PA,
    MULTI_LED_CTRL_1, MULTI_LED_CTRL_2, TEMP_INT, TEMP_FRAC, TEMP_CONFIG, REV_ID, PART_ID,
)
REGISTER_BY_ADDRESS: Final[dict[int, Register]] = {r.address: r for r in REGISTERS}

# --- bit fields ------------------------------------------------------------------------------
A_FULL = Field(INTR_STATUS_1, 7, 1)  # FIFO has FIFO_A_FULL or fewer free slots
PPG_RDY = Field(INTR_STATUS_1, 6, 1)  # a new sample is in the FIFO
ALC_OVF = Field(INTR_STATUS_1, 5, 1)  # ambient light cancellation ran out of range
PWR_RDY = Field(INTR_STATUS_1, 0, 1)  # the chip powered up (or browned out); clears on read
DIE_TEMP_RDY = Field(INTR_STATUS_2, 1, 1)
A_FULL_EN = Field(INTR_ENABLE_1, 7, 1)
PPG_RDY_EN = Field(INTR_ENABLE_1, 6, 1)
ALC_OVF_EN = Field(INTR_ENABLE_1, 5, 1)
DIE_TEMP_RDY_EN = Field(INTR_ENABLE_2, 1, 1)
SMP_AVE = Field(FIFO_CONFIG, 5, 3)
FIFO_ROLLOVER_EN = Field(FIFO_CONFIG, 4, 1)
FIFO_A_FULL = Field(FIFO_CONFIG, 0, 4)  # free slots left when A_FULL fires
SHDN = Field(MODE_CONFIG, 7, 1)
RESET = Field(MODE_CONFIG, 6, 1)
MODE = Field(MODE_CONFIG, 0, 3)
ADC_RGE = Field(SPO2_CONFIG, 5, 2)
SPO2_SR = Field(SPO2_CONFIG, 2, 3)
LED_PW = Field(SPO2_CONFIG, 0, 2)
SLOT1 = Field(MULTI_LED_CTRL_1, 0, 3)
SLOT2 = Field(MULTI_LED_CTRL_1, 4, 3)
SLOT3 = Field(MULTI_LED_CTRL_2, 0, 3)
SLOT4 = Field(MULTI_LED_CTRL_2, 4, 3)
TEMP_EN = Field(TEMP_CONFIG, 0, 1)

# --- codes and constants ---------------------------------------------------------------------
PART_ID_MAX30102: Final = 0x15
MODE_HR: Final = 0b010  # red LED only
MODE_SPO2: Final = 0b011  # red then IR
MODE_MULTI_LED: Final = 0b111  # slots from MULTI_LED_CTRL_1/2
FIFO_DEPTH_SAMPLES: Final = 32
POINTER_MASK: Final = 0x1F  # FIFO pointers and OVF_COUNTER are 5 bits; OVF_COUNTER saturates at 31
OVF_COUNTER_MAX: Final = 31
BYTES_PER_CHANNEL: Final = 3
ADC_FULL_SCALE_COUNTS: Final = 1 << 18  # samples are 18-bit, left-justified whatever the resolution
ADC_MAX_COUNT: Final = ADC_FULL_SCALE_COUNTS - 1
LED_CURRENT_STEP_MA: Final = 0.2  # LEDx_PA: 0x00..0xFF -> 0.0..51.0 mA
LED_CURRENT_MAX_MA: Final = 0xFF * LED_CURRENT_STEP_MA

# ADC conversions per second (SPO2_SR code) and samples averaged into one FIFO sample (SMP_AVE code).
SAMPLE_RATE_CODE_BY_SPS: Final[dict[int, int]] = {
    50: 0, 100: 1, 200: 2, 400: 3, 800: 4, 1000: 5, 1600: 6, 3200: 7,
}
SAMPLE_RATE_SPS_BY_CODE: Final[dict[int, int]] = {c: s for s, c in SAMPLE_RATE_CODE_BY_SPS.items()}
SMP_AVE_CODE_BY_COUNT: Final[dict[int, int]] = {1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 32: 5}
SMP_AVE_COUNT_BY_CODE: Final[dict[int, int]] = {0: 1, 1: 2, 2: 4, 3: 8, 4: 16, 5: 32, 6: 32, 7: 32}
# LED pulse width (us) -> (LED_PW code, ADC resolution in bits).
PULSE_WIDTH_CODE_BY_US: Final[dict[int, tuple[int, int]]] = {
    69: (0, 15), 118: (1, 16), 215: (2, 17), 411: (3, 18),
}
RESOLUTION_BITS_BY_PW_CODE: Final[dict[int, int]] = {c: bits for c, bits in PULSE_WIDTH_CODE_BY_US.values()}
# ADC full scale (nA of photocurrent) -> ADC_RGE code.
ADC_RANGE_CODE_BY_NA: Final[dict[int, int]] = {2048: 0, 4096: 1, 8192: 2, 16384: 3}
ADC_RANGE_NA_BY_CODE: Final[dict[int, int]] = {c: na for na, c in ADC_RANGE_CODE_BY_NA.items()}
# Highest ADC rate the datasheet allows in SpO2 mode for each pulse width (two LEDs per sample).
MAX_SPO2_SPS_BY_PULSE_WIDTH_US: Final[dict[int, int]] = {69: 1600, 118: 1000, 215: 800, 411: 400}


def led_current_code(current_ma: float) -> int:
    """LEDx_PA register value for a current in mA (nearest 0.2 mA step, clamped to 0..51 mA)."""
    return max(0, min(0xFF, round(current_ma / LED_CURRENT_STEP_MA)))


def led_current_ma(code: int) -> float:
    """LED current in mA for an LEDx_PA register value."""
    return code * LED_CURRENT_STEP_MA
