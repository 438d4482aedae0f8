#pragma once

#include <string>
#include <vector>

namespace acd {

/// Converts the appSettings.json of Microsoft's abandoned cart connector sample into the text
/// of an abandoned-cartd properties file (DESIGN §6 keys). Sections and keys are matched
/// without case; `//` and `/* */` comments and trailing commas are accepted, as .NET does.
///
/// `notes` receives one line per thing the user should know: sections or keys not converted,
/// AzureCosmosOptions replaced by the ledger, the move from the sample's WSSE (written as
/// emarsys.auth = wsse) to OAuth 2.0, and what still keeps the result from loading.
/// The same notes head the returned text as `# ` comment lines. Values of keys that are not
/// converted are never repeated (they may be secrets, e.g. the Cosmos DB primary key).
///
/// Throws ConfigError for text that is not JSON (naming the line and column) or whose top
/// level is not an object.
std::string importAppSettings(const std::string& jsonText, std::vector<std::string>& notes);

} // namespace acd
