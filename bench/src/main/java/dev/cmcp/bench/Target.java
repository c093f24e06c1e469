package dev.cmcp.bench;

import java.net.URI;

/**
 * One thing the load generator calls: an MCP endpoint over Streamable HTTP and the name under
 * which it offers the upstream's echo tool.
 *
 * @param name as printed in the tables: {@code direct}, {@code cmcp}, {@code proxy}
 * @param url the MCP endpoint
 * @param echoTool {@code echo} on the upstream and the proxy, the catalog's name on cMCP
 */
public record Target(String name, URI url, String echoTool) {}
