#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <string>
#include <vector>

/// The reminder data JSON of DESIGN §4, built the way core's buildReminderData writes it.
namespace acd::test {

struct Line
{
    std::string name;
    std::string quantity;
    std::string unitPrice;
    std::string imagePath; // "" = no image; else viewport URLs are made from it
    std::string altText;
};

inline std::string reminderData(const std::string& firstName, const std::string& lastName,
                                const std::string& language, const std::string& currency,
                                const std::vector<Line>& lines,
                                const std::string& returnToCartUrl = "https://shop.example.com/cart?id=c1")
{
    using Poco::JSON::Array;
    using Poco::JSON::Object;
    Object::Ptr data = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    data->set("firstName", firstName);
    data->set("lastName", lastName);
    data->set("language", language);
    data->set("currency", currency);
    data->set("returnToCartUrl", returnToCartUrl);
    Array::Ptr details = new Array;
    long long id = 68719476736LL;
    for (const Line& line : lines)
    {
        Object::Ptr detail = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        detail->set("productId", std::to_string(id++));
        detail->set("productName", line.name);
        detail->set("quantity", line.quantity);
        detail->set("unitPrice", line.unitPrice);
        Object::Ptr image = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        image->set("altText", line.altText.empty() ? line.name : line.altText);
        Array::Ptr viewports = new Array;
        if (!line.imagePath.empty())
        {
            const char* media[] = {"(max-width:768px)", "(min-width:769px) and (max-width:1599px)",
                                   "(min-width:1600px)"};
            const int sizes[] = {80, 183, 315};
            for (int i = 0; i < 3; ++i)
            {
                Object::Ptr viewport = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                viewport->set("url", line.imagePath + "&w=" + std::to_string(sizes[i]));
                viewport->set("media", media[i]);
                viewport->set("useForDefaultImageTag", i == 2);
                viewports->add(viewport);
            }
        }
        image->set("viewPortImages", viewports);
        detail->set("productImage", image);
        details->add(detail);
    }
    data->set("orderDetails", details);
    std::ostringstream out;
    data->stringify(out);
    return out.str();
}

inline std::string templatesDir()
{
    return std::string(ACD_SOURCE_DIR) + "/conf/templates";
}

} // namespace acd::test
