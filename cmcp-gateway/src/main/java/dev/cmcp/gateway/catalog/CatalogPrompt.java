package dev.cmcp.gateway.catalog;

/**
 * A name agents see for one server's prompt, instead of {@code <server>.<prompt>}: for clients
 * that ask for the server's own prompt names. The policy still judges the prompt as
 * {@code Prompt::"<server>.<prompt>"}, so an alias never escapes a rule written for the prompt.
 *
 * @param promptName the name agents list and get it by
 * @param server the catalog key of the server that offers it
 * @param upstreamName the prompt's name on that server
 */
public record CatalogPrompt(String promptName, String server, String upstreamName) {}
