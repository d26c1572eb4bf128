package server

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// publicBodyLimit bounds what anyone on the internet may send.
const publicBodyLimit = "64K"

// routes registers every route of Heed.
func (s *Server) routes(e *echo.Echo) {
	e.Use(middleware.Recover())

	e.GET("/healthz", s.getHealth)
	e.GET("/readyz", s.getReady)

	publicLimit := middleware.BodyLimit(publicBodyLimit)
	perIP := rateLimit(s.cfg.RateLimit, s.cfg.RateBurst)
	admin := s.requireAdmin
	adminLimit := middleware.BodyLimit("1M")

	api := e.Group("/api/v1")
	api.POST("/surveys", s.createSurvey, admin, adminLimit)
	api.GET("/surveys", s.listSurveys, admin)
	api.GET("/surveys/:id", s.getSurvey, admin)
	api.GET("/surveys/:id/report", s.getReport, admin)
	api.GET("/surveys/:id/report.csv", s.getReportCSV, admin)
	api.POST("/surveys/:id/responses", s.createResponse, perIP, publicLimit)

	e.GET("/*", s.getSiteFile)
	e.HEAD("/*", s.getSiteFile)
}
