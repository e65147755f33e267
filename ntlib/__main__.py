"""Entry point for ``python -m ntlib``."""

try:
    from ntlib.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, exit_at_once, main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing has started
    import sys

    print("interrupted: stopped by Ctrl-C while starting", file=sys.stderr)
    raise SystemExit(130) from None

code = main()
if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
    exit_at_once(code)  # stopped: skip the libraries' slow teardown
raise SystemExit(code)
