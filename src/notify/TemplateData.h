#pragma once

#include "core/Json.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acd {

/// The reminder's data object (DESIGN §4) as a provider-side Handlebars template reads it:
/// every member as it is, numbers with their exact text, plus the prices as a reader sees them,
/// which Handlebars can neither multiply nor format — `totalText` (only when a total can be
/// made) and, in each object of `orderDetails`, `unitPriceText` and `lineTotalText`, made as
/// reminderPrices() makes them for the Mustache templates. Members of those names already in
/// the data give way to them. SendGrid sends the object as dynamic_template_data; Mandrill's
/// merge vars are its members.
struct TemplateData
{
    /// Deeper than the reminder builder ever writes (data → orderDetails → line → image →
    /// viewports → viewport): anything beyond is not our data.
    static constexpr int MaxDepth = 16;

    /// Each member in order: its name, and its value as JSON text.
    std::vector<std::pair<std::string, std::string>> members;

    /// The whole object as JSON text.
    std::string json() const;
};

/// Nothing when `data` is not an object or nests deeper than TemplateData::MaxDepth levels.
std::optional<TemplateData> templateData(const JsonValue& data);

} // namespace acd
