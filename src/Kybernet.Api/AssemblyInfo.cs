namespace Kybernet.Api;
