#pragma once

#include "core/Types.h"

#include <string>
#include <vector>

namespace acd {

/// One entry of `productImage.viewPortImages` in the Emarsys data (DESIGN §4).
struct ViewportImage
{
    std::string url;
    std::string media;
    bool useForDefaultImageTag = false;
};

/// DESIGN §4's three viewports: 80×80, 183×183 and 315×315 (the default image tag).
std::vector<Viewport> defaultViewports();

/// One image per viewport of `media` (DESIGN §4's defaults when it lists none). An absolute
/// http(s) URL is used as is; a relative one is resized by the Commerce image server as
/// `{imageServerUrl}/{percent-encoded path}&w=..&h=..&q=..&m=..&f=..`. Exactly one image has
/// useForDefaultImageTag: the first viewport marked so, else the widest. Empty for an empty URL.
std::vector<ViewportImage> viewportImages(const std::string& imageUrl, const MediaOptions& media);

} // namespace acd
