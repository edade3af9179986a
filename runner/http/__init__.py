"""Send: the only code that touches the network (one httpx client per run) and the request
bodies it sends."""
