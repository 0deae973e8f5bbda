"""Service descriptions of the sandbox: fetching them from their URLs and reading them.

``fetch`` downloads a description as X-Road's admin service does (http and https only, a timeout, a
10 MiB limit, any server certificate accepted); ``wsdl`` reads the SOAP services of a WSDL 1.1
document as X-Road's ``WsdlParser`` does; ``openapi`` reads the operations of an OpenAPI 3.0.x or
3.1.0 document as X-Road's ``OpenApiParser`` does. None of them touches the sandbox's state.
"""
