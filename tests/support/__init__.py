"""Test-only support code: the loopback AWS stand-in and client helpers."""
