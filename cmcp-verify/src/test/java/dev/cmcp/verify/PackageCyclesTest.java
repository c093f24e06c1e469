package dev.cmcp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/** The library's packages depend on each other in one direction only, as jdeps reads the compiled classes. */
class PackageCyclesTest {

  private static final String PREFIX = "dev.cmcp.verify";

  @Test
  void noPackageOfTheLibraryDependsOnItselfThroughAnother() throws Exception {
    Path classes = Path.of("target", "classes");
    assertThat(classes.resolve("dev/cmcp/verify")).isDirectory();
    Map<String, Set<String>> uses = packageDependencies(classes);
    assertThat(uses).as("jdeps found the library's packages").containsKeys(
        PREFIX + ".claim", PREFIX + ".audit", PREFIX + ".cli", PREFIX + ".evidence.tdx");

    assertThat(cycles(uses)).as("package cycles").isEmpty();
  }

  @Test
  void theCycleFinderFindsACycle() {
    Map<String, Set<String>> uses = new TreeMap<>();
    uses.put("a", Set.of("b"));
    uses.put("b", Set.of("c"));
    uses.put("c", Set.of("a"));
    uses.put("d", Set.of("a"));

    assertThat(cycles(uses)).containsExactly(new TreeSet<>(List.of("a", "b", "c")));
  }

  private static Map<String, Set<String>> packageDependencies(Path classes) {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = jdeps.run(new PrintWriter(out), new PrintWriter(err),
        "-verbose:package", "-filter:none", classes.toString());
    assertThat(status).as("jdeps: " + err).isZero();
    Map<String, Set<String>> uses = new TreeMap<>();
    for (String line : out.toString().split("\n")) {
      // "   dev.cmcp.verify.claim   -> dev.cmcp.verify.audit   classes"
      String[] words = line.trim().split("\\s+");
      if (words.length >= 3 && words[1].equals("->") && words[0].startsWith(PREFIX) && words[2].startsWith(PREFIX)
          && !words[0].equals(words[2])) {
        uses.computeIfAbsent(words[0], p -> new TreeSet<>()).add(words[2]);
      }
    }
    return uses;
  }

  /** The strongly connected components of more than one package (Tarjan). */
  static List<Set<String>> cycles(Map<String, Set<String>> uses) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new HashSet<>();
    List<Set<String>> found = new ArrayList<>();
    for (String start : new TreeSet<>(uses.keySet())) {
      if (!index.containsKey(start)) {
        connect(start, uses, index, low, stack, onStack, found);
      }
    }
    return found;
  }

  private static void connect(String node, Map<String, Set<String>> uses, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> found) {
    index.put(node, index.size());
    low.put(node, index.get(node));
    stack.push(node);
    onStack.add(node);
    for (String next : uses.getOrDefault(node, Set.of())) {
      if (!index.containsKey(next)) {
        connect(next, uses, index, low, stack, onStack, found);
        low.put(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.contains(next)) {
        low.put(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node).equals(index.get(node))) {
      Set<String> component = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        component.add(member);
      } while (!member.equals(node));
      if (component.size() > 1) {
        found.add(component);
      }
    }
  }
}
