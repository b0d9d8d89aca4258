"""The IR and tracing: avals, jaxprs, primitives, the tracer, pytrees and Array. Knows no transform or backend."""
