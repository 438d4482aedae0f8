#include "core/ImageUrls.h"

#include "core/Urls.h"

#include <Poco/String.h>

#include <algorithm>

namespace acd {

namespace {

bool isAbsoluteHttpUrl(const std::string& url)
{
    const std::string head = Poco::toLower(url.substr(0, 8));
    return head.starts_with("http://") || head.starts_with("https://");
}

std::size_t defaultImageIndex(const std::vector<Viewport>& viewports)
{
    const auto marked = std::find_if(viewports.begin(), viewports.end(),
                                     [](const Viewport& v) { return v.useForDefaultImageTag; });
    if (marked != viewports.end())
        return static_cast<std::size_t>(marked - viewports.begin());
    const auto widest =
        std::max_element(viewports.begin(), viewports.end(),
                         [](const Viewport& a, const Viewport& b) { return a.width < b.width; });
    return static_cast<std::size_t>(widest - viewports.begin());
}

} // namespace

std::vector<Viewport> defaultViewports()
{
    return {
        {"small", "(max-width:768px)", 80, 80, false},
        {"medium", "(min-width:769px) and (max-width:1599px)", 183, 183, false},
        {"large", "(min-width:1600px)", 315, 315, true},
    };
}

std::vector<ViewportImage> viewportImages(const std::string& imageUrl, const MediaOptions& media)
{
    if (imageUrl.empty())
        return {};
    const std::vector<Viewport> viewports = media.viewports.empty() ? defaultViewports() : media.viewports;
    const bool absolute = isAbsoluteHttpUrl(imageUrl);

    std::string resizeBase;
    if (!absolute)
    {
        std::string_view server = media.imageServerUrl;
        while (!server.empty() && server.back() == '/')
            server.remove_suffix(1);
        std::string_view path = imageUrl;
        while (!path.empty() && path.front() == '/')
            path.remove_prefix(1);
        resizeBase = std::string(server) + "/" + percentEncode(path, true);
    }

    const std::size_t defaultIndex = defaultImageIndex(viewports);
    std::vector<ViewportImage> images;
    images.reserve(viewports.size());
    for (std::size_t i = 0; i < viewports.size(); ++i)
    {
        const Viewport& v = viewports[i];
        std::string url =
            absolute ? imageUrl
                     : resizeBase + "&w=" + std::to_string(v.width) + "&h=" + std::to_string(v.height) +
                           "&q=" + std::to_string(media.quality) + "&m=" + std::to_string(media.mode) +
                           "&f=" + percentEncode(media.format, false);
        images.push_back(ViewportImage{std::move(url), v.media, i == defaultIndex});
    }
    return images;
}

} // namespace acd
