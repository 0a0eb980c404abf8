"""The board's status light behind one call, show(r, g, b), whatever the board has: NeoPixels
(colour, scaled by the brightness setting), a plain GPIO LED (on for any colour), or nothing."""

from machine import Pin

from calfraise_fw.boardspec import GpioLed, NeoPixelLed


class Led:
    def __init__(self, spec, brightness):
        self.brightness = brightness  # 0..255, NeoPixels only
        self._pixels = None
        self._pin = None
        self._power = None  # the pixels' power switch, on only while they are lit: a dark
        # WS2812 still draws ~0.7 mA (QT Py: NEOPIXEL_POWER)
        if isinstance(spec, NeoPixelLed):
            import neopixel

            if spec.power_pin is not None:
                self._power = Pin(spec.power_pin, Pin.OUT, value=0)
            self._pixels = neopixel.NeoPixel(Pin(spec.pin, Pin.OUT), spec.count)
        elif isinstance(spec, GpioLed):
            self._on = 0 if spec.active_low else 1
            self._pin = Pin(spec.pin, Pin.OUT, value=1 - self._on)

    def show(self, r, g, b):
        if self._pixels is not None:
            k = self.brightness
            lit = r or g or b
            if lit and self._power is not None:
                self._power.value(1)
            self._pixels.fill((r * k // 255, g * k // 255, b * k // 255))
            self._pixels.write()
            if not lit and self._power is not None:
                self._power.value(0)
        elif self._pin is not None:
            self._pin.value(self._on if r or g or b else 1 - self._on)


def open_led(spec, brightness=40):
    """The light of a board's led spec (NeoPixelLed, GpioLed or None)."""
    return Led(spec, brightness)
