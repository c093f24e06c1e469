package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.gateway.tls.ServerIdentities;
import dev.cmcp.gateway.tls.ServerIdentity;
import dev.cmcp.verify.channel.AttestedTrustManager;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official MCP Java SDK as an agent that checks, before its first request, that its TLS
 * connection ends inside the attested gateway: {@code ./cmcp start} with {@code tls.mode:
 * generate}, the SDK's HttpClient built with {@link AttestedTrustManager#sslContext}, as
 * docs/spec/verification-library.md shows it.
 */
class AttestedJavaSdkClientTest {

  @TempDir Path tmp;

  private static McpSyncClient client(URI gateway) {
    VerificationOptions expected = VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, Instant.now());
    HttpClient.Builder http = HttpClient.newBuilder().sslContext(AttestedTrustManager.sslContext(gateway, expected));
    // The quickstart's policies permit the demo-agent workflow.
    java.net.http.HttpRequest.Builder requests = java.net.http.HttpRequest.newBuilder().header("X-MCP-Workflow-ID", "demo-agent");
    return McpClient.sync(HttpClientStreamableHttpTransport.builder(gateway.toString()).endpoint("/mcp").clientBuilder(http)
            .requestBuilder(requests).build())
        .clientInfo(new McpSchema.Implementation("cmcp-e2e-attested", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(30))
        .build();
  }

  @Test
  void theSdkCallsToolsThroughTheAttestedChannelAndRefusesAProxyInBetween() throws Exception {
    Path config = Deployments.quickstart(tmp, "enforcing", tmp.resolve("calls.log"), Map.of("tls", "{mode: generate}"));
    try (GatewayProcess gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      URI direct = URI.create("https://127.0.0.1:" + gateway.port());
      McpSyncClient agent = client(direct);
      try {
        agent.initialize();
        CallToolResult contacts = agent.callTool(new CallToolRequest("salesforce.contacts", Map.of("query", "Acme Corp")));
        assertThat(contacts.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(((TextContent) contacts.content().get(0)).text()).contains("Acme");
      } finally {
        agent.closeGracefully();
      }

      // The TypeScript SDK over the same HTTPS: Node trusts the certificate taken from the
      // handshake (NODE_EXTRA_CA_CERTS), which checks no attestation, unlike the trust manager.
      Path pem = Files.writeString(tmp.resolve("gateway.pem"), pem(presentedCertificate(gateway.port())));
      NodeServer.Finished node = NodeServer.run(List.of("node", Repo.root().resolve("interop/clients/sdk-client.mjs").toString(),
              "@modelcontextprotocol/sdk", direct + "/mcp",
              "[{\"do\":\"listTools\"},{\"do\":\"callTool\",\"name\":\"salesforce.contacts\",\"arguments\":{\"query\":\"Acme Corp\"}}]"),
          Repo.root().resolve("interop"),
          Map.of("NODE_EXTRA_CA_CERTS", pem.toString(), "MCP_HEADERS", "{\"X-MCP-Workflow-ID\":\"demo-agent\"}"), 60);
      assertThat(node.exitCode()).as(node.output()).isZero();
      String output = node.output().strip();
      JsonNode seen = new ObjectMapper().readTree(output.substring(output.lastIndexOf('\n') + 1));
      assertThat(seen.path("server").asText()).isEqualTo("cmcp-gateway");
      assertThat(seen.at("/steps/0/result/tools").valueStream().map(t -> t.path("name").asText()).toList())
          .contains("salesforce.contacts");
      assertThat(seen.at("/steps/1/result/content/0/text").asText()).as(output).contains("Acme");
      // Without the certificate Node refuses the gateway's self-signed one: the trust above is real.
      NodeServer.Finished untrusting = NodeServer.run(List.of("node", Repo.root().resolve("interop/clients/sdk-client.mjs").toString(),
          "@modelcontextprotocol/sdk", direct + "/mcp", "[]"), 60);
      assertThat(untrusting.exitCode()).as(untrusting.output()).isNotZero();
      assertThat(untrusting.output()).containsIgnoringCase("certificate");

      try (Proxy proxy = new Proxy(gateway.port())) {
        McpSyncClient intercepted = client(URI.create("https://127.0.0.1:" + proxy.port()));
        assertThatThrownBy(intercepted::initialize).hasStackTraceContaining("tls_key_bound");
        intercepted.close();
      }
    }
    // Nothing reached the demo CRM through the proxy: the Java SDK's call and the Node client's.
    assertThat(Files.readAllLines(tmp.resolve("calls.log"))).hasSize(2);
  }

  /** The certificate the gateway presents, taken from a handshake that trusts anything (as a user's openssl s_client would). */
  private static Certificate presentedCertificate(int port) throws Exception {
    SSLContext any = SSLContext.getInstance("TLS");
    any.init(null, new TrustManager[] {new TrustingAll()}, null);
    try (SSLSocket socket = (SSLSocket) any.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
      socket.startHandshake();
      return socket.getSession().getPeerCertificates()[0];
    }
  }

  private static String pem(Certificate certificate) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  private static final class TrustingAll implements X509TrustManager {
    @Override public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}
    @Override public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}
    @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() {
      return new java.security.cert.X509Certificate[0];
    }
  }

  /** A TLS-terminating proxy with its own key, passing bytes through to the gateway. */
  private static final class Proxy implements AutoCloseable {
    private final SSLServerSocket server;

    Proxy(int gatewayPort) throws Exception {
      ServerIdentity own = ServerIdentities.generate("127.0.0.1", Instant.now());
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("proxy", own.privateKey(), "p".toCharArray(), own.chain().toArray(Certificate[]::new));
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, "p".toCharArray());
      SSLContext serverSide = SSLContext.getInstance("TLS");
      serverSide.init(keys.getKeyManagers(), null, null);
      SSLContext clientSide = SSLContext.getInstance("TLS");
      clientSide.init(null, new TrustManager[] {new TrustingAll()}, null);
      server = (SSLServerSocket) serverSide.getServerSocketFactory().createServerSocket(0, 16, InetAddress.getLoopbackAddress());
      Thread.ofVirtual().start(() -> {
        while (!server.isClosed()) {
          try {
            Socket agent = server.accept();
            Socket gateway = clientSide.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), gatewayPort);
            Thread.ofVirtual().start(() -> pipe(agent, gateway));
            Thread.ofVirtual().start(() -> pipe(gateway, agent));
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pipe(Socket from, Socket to) {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // One side closed.
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // Closing after an error.
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
