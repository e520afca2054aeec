"""Renderers: one module per output format. They lay out a report; they never compute."""

# C0 and C1 control characters but tab and line feed, for `str.translate`: shown as U+FFFD in
# text output, never sent raw (an escape sequence in a name would drive the reader's terminal).
CONTROL_CHARACTERS = dict.fromkeys(
    [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)], "\ufffd")
