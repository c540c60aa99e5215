"""tenderwatch — 公共资源交易综合监管联动执法平台."""

__version__ = "0.1.0"
