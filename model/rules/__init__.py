"""Pure behavioural rules: arrays in, arrays out, uniforms passed in. No engine imports.

Both engines call these functions; nothing here knows about Mesa, agents or I/O.
"""
