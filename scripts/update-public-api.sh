#!/usr/bin/env bash
# Brings Dht.Core/PublicAPI.Unshipped.txt in line with the code: adds every public symbol the PublicApiAnalyzers
# reports as undeclared (RS0016) and removes declared symbols that no longer exist (RS0017).
# Review the diff: it is the change to the NuGet surface.
set -euo pipefail
cd "$(dirname "$0")/.."
file=Dht.Core/PublicAPI.Unshipped.txt
out=$(dotnet build Dht.Core/Dht.Core.csproj --no-incremental -p:TreatWarningsAsErrors=false 2>&1 || true)
added=$(grep -oP "RS0016: Symbol '\K.*?(?=' is not part of the declared public API)" <<<"$out" | sort -u || true)
removed=$(grep -oP "RS0017: Symbol '\K.*?(?=' is part of the declared API)" <<<"$out" | sort -u || true)
{ grep -v '^#nullable enable$' "$file" | grep -vxF -f <(printf '%s\n' "$removed") || true; printf '%s\n' "$added"; } \
  | sed '/^$/d' | sort -u > /tmp/dht-api-all.txt
{ echo '#nullable enable'; cat /tmp/dht-api-all.txt; } > "$file"
echo "public API: $(grep -c . <<<"$added" || true) added, $(grep -c . <<<"$removed" || true) removed"
