# Sourced by ./cmcp, ./cmcp-dev and .ci/run: picks a JDK of 21 or newer.
# The project targets Java 21 bytecode; the machine's default java may be older.

cmcp_java_major() {
  # Prints the major version of the java at "$1", or nothing when it cannot run.
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

cmcp_find_jdk() {
  local candidates=() dir major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  # Newest first, so an unpinned machine gets its best JDK.
  for dir in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do candidates+=("${dir%/}"); done
  for dir in "${candidates[@]}"; do
    [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] || continue
    major=$(cmcp_java_major "$dir/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$dir"
      return 0
    fi
  done
  echo "cmcp: no JDK 21 or newer found (looked at JAVA_HOME, the java on PATH and /usr/lib/jvm/*)." >&2
  echo "cmcp: install one (for example Debian's openjdk-21-jdk or Temurin 21+) or set JAVA_HOME to it." >&2
  return 1
}
