"""Report sections: one module per section, discovered by igcdesign.report.discover().

See igcdesign/report/__init__.py for the interface (TITLE, ORDER, write(out) -> markdown).
"""
